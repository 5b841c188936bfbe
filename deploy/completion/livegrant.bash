# bash completion for livegrant(8); installed by `make install`.
_livegrant()
{
	local cur prev cmd
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "present exec revoke agents status health wait grants denials check-kernel unpin help --help" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	case $prev in
	--token | --config)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--state-dir)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	esac
	case $cmd in
	present) COMPREPLY=($(compgen -W "--token --socket --help" -- "$cur")) ;;
	exec) COMPREPLY=($(compgen -W "--cgroup --token --socket --help --" -- "$cur")) ;;
	revoke | grants) COMPREPLY=($(compgen -W "--json --socket --help" -- "$cur")) ;;
	agents | status) COMPREPLY=($(compgen -W "--json --socket --help" -- "$cur")) ;;
	health) COMPREPLY=($(compgen -W "--socket --help" -- "$cur")) ;;
	wait) COMPREPLY=($(compgen -W "--timeout --token --socket --help" -- "$cur")) ;;
	denials) COMPREPLY=($(compgen -W "--follow --agent --since --reason --limit --json --state-dir --socket --help" -- "$cur")) ;;
	check-kernel) COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
	unpin) COMPREPLY=($(compgen -d -- "$cur")) ;;
	esac
}
complete -F _livegrant livegrant
