// SPDX-License-Identifier: GPL-2.0
/*
 * mapprog.c - a dynamically linked program for the mapping tests
 * (tests/kernel/test_exec_map.c): it exits 7, so a run through the dynamic
 * loader is told apart from the loader's own failure (127).
 */
int main(void)
{
	return 7;
}
