// SPDX-License-Identifier: GPL-2.0
/* lg-bench-noop - what the exec workload runs: exits at once. Static. */
int main(void)
{
	return 0;
}
