#!/bin/bash
# make install's rules: `DESTDIR=D cmake --install BUILD` puts under D the binary, both man pages,
# the example configs in SYSCONFDIR/overflowd, the receiver's defaults file, the state directory
# (mode 0750), both units and the sysusers.d file, at the paths of the build's configured prefix;
# the installed units name the installed binary and config directory, and the installed binary
# runs (--version, and --check on the installed example).
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

: "${OFD_BIN:?}" "${OFD_BUILD:?}"
e2e_need cmake
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-install.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
D=$E2E_DIR
E2E_VARIANT=install
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$OFD_BUILD/CMakeCache.txt")
[ -n "$prefix" ] || e2e_die "no CMAKE_INSTALL_PREFIX in the cache"
# GNUInstallDirs: /usr puts the configs in /etc and the state in /var, other prefixes under them
case "$prefix" in
/usr) etc=/etc var=/var ;;
*) etc=$prefix/etc var=$prefix/var ;;
esac
DESTDIR=$D/root cmake --install "$OFD_BUILD" >"$D/install.log" 2>&1 || e2e_die "install: $(tail -5 "$D/install.log")"
R=$D/root
for f in "$prefix/bin/overflowd" "$prefix/share/man/man1/overflowd.1" "$prefix/share/man/man5/overflowd.yml.5" \
	"$etc/overflowd/example.yml" "$etc/overflowd/tracers.yml" "$etc/default/overflowd-receive" \
	"$prefix/lib/systemd/system/overflowd@.service" "$prefix/lib/systemd/system/overflowd-receive.service" \
	"$prefix/lib/sysusers.d/overflowd.conf"; do
	[ -f "$R$f" ] || e2e_fail "not installed: $f"
done
[ -d "$R$var/lib/overflowd" ] || e2e_fail "no state directory $var/lib/overflowd"
expect_eq "state directory mode" "$(stat -c %a "$R$var/lib/overflowd")" 750
expect_eq "ExecStart" "$(sed -n 's/^ExecStart=//p' "$R$prefix/lib/systemd/system/overflowd@.service")" \
	"$prefix/bin/overflowd -c $etc/overflowd/%i.yml"
expect_eq "receive ExecStart" "$(sed -n 's/^ExecStart=//p' "$R$prefix/lib/systemd/system/overflowd-receive.service")" \
	"$prefix/bin/overflowd receive --db /var/lib/overflowd/tracers.db \$OVERFLOWD_RECEIVE_ARGS"
"$R$prefix/bin/overflowd" --version >"$D/version" 2>&1 || e2e_fail "installed --version: $(cat "$D/version")"
expect_eq "installed --version" "$(head -1 "$D/version")" "$("$OFD_BIN" --version | head -1)"
"$R$prefix/bin/overflowd" -c "$R$etc/overflowd/example.yml" --check >"$D/check" 2>&1 ||
	e2e_fail "installed example.yml: $(cat "$D/check")"
e2e_result
