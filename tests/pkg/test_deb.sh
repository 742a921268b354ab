#!/bin/bash
# The Debian package from the tree (ctest label "slow"): a copy of the tree's files (committed
# and new, not ignored) is built with `dpkg-buildpackage -us -uc -b` in a temporary directory;
# then
#   - lintian reports no error and no warning (overrides in debian/overflowd.lintian-overrides)
#   - `dpkg-deb -c` lists the binary, both man pages, the example configs under /etc/overflowd,
#     the state directory, both units and the sysusers.d file
#   - the maintainer scripts neither enable nor start a unit (dh_installsystemd --no-enable
#     --no-start)
#   - `dpkg -x` into a throwaway root, whose usr/bin/overflowd --version prints the tree's
#     version and commit, and whose units name /usr/bin/overflowd and pass systemd-analyze verify
#     (with the binary path put to the extracted one)
# Build dependencies missing: skipped (77). CMAKE_C_COMPILER_LAUNCHER=ccache when ccache is
# installed (a rebuild takes seconds).
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh"

: "${OFD_SRC:?}"
e2e_need dpkg-buildpackage dpkg-deb lintian git systemd-analyze
(cd "$OFD_SRC" && dpkg-checkbuilddeps) >/dev/null 2>&1 || e2e_skip "build dependencies missing (dpkg-checkbuilddeps)"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ofd-deb.XXXXXX") || e2e_die "mktemp failed"
trap e2e_cleanup EXIT
D=$E2E_DIR
E2E_VARIANT=build
mkdir "$D/src"
(cd "$OFD_SRC" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -P -t "$D/src") ||
	e2e_die "cannot copy the tree"
# the commit --version should name: configured from the copy, which is no git tree
want_version=$(sed -n 's/^project(overflowd VERSION \([0-9.]*\).*/\1/p' "$OFD_SRC/CMakeLists.txt")
launcher=""
command -v ccache >/dev/null && launcher=ccache
(cd "$D/src" && CMAKE_C_COMPILER_LAUNCHER=$launcher DEB_BUILD_OPTIONS="parallel=2" \
	dpkg-buildpackage -us -uc -b) >"$D/build.log" 2>&1 || e2e_die "dpkg-buildpackage: $(tail -30 "$D/build.log")"
arch=$(dpkg --print-architecture)
deb=$D/overflowd_${want_version}_$arch.deb
[ -f "$deb" ] || e2e_die "no $deb: $(ls "$D")"
echo "ok: built $(basename "$deb")"

E2E_VARIANT=lintian
if lintian --fail-on error,warning "$D"/overflowd_*_"$arch".changes \
	>"$D/lintian.out" 2>&1; then
	echo "ok: lintian clean"
else
	e2e_fail "lintian: $(cat "$D/lintian.out")"
fi
if grep -E '^[EW]:' "$D/lintian.out"; then e2e_fail "lintian errors or warnings above"; fi

E2E_VARIANT=contents
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$D/contents"
for f in /usr/bin/overflowd /usr/share/man/man1/overflowd.1.gz /usr/share/man/man5/overflowd.yml.5.gz \
	/etc/overflowd/example.yml /etc/overflowd/tracers.yml /etc/default/overflowd-receive \
	/var/lib/overflowd/ /lib/systemd/system/overflowd@.service \
	/lib/systemd/system/overflowd-receive.service /usr/lib/sysusers.d/overflowd.conf \
	/usr/share/doc/overflowd/copyright; do
	grep -qxF "$f" "$D/contents" || e2e_fail "not in the package: $f"
done
dpkg-deb -e "$deb" "$D/control"
# deb-systemd-helper may re-enable on upgrade what the admin had enabled (inside a
# `was-enabled` test), nothing else; nothing is started
post=$D/control/postinst
n_enable=$(grep -c "deb-systemd-helper enable" "$post")
n_was=$(grep -c "deb-systemd-helper --quiet was-enabled" "$post")
expect_eq "enables only what was enabled" "$n_enable" "$n_was"
if grep -q 'deb-systemd-invoke' "$post"; then
	e2e_fail "postinst starts a unit: $(grep -n deb-systemd-invoke "$post")"
else
	echo "ok: units installed disabled, not started"
fi
grep -q 'systemd-sysusers' "$D/control/postinst" || e2e_fail "postinst does not create the system user"

E2E_VARIANT=run
dpkg -x "$deb" "$D/root"
"$D/root/usr/bin/overflowd" --version >"$D/version" 2>&1 || e2e_fail "--version: $(cat "$D/version")"
expect_eq "version" "$(head -1 "$D/version")" "overflowd $want_version"
expect_eq "commit (built from a copy, not a git tree)" "$(sed -n 's/^commit: //p' "$D/version")" unknown
grep -q '^optional segments built in: ' "$D/version" || e2e_fail "no optional segments line"
grep -q '^ExecStart=/usr/bin/overflowd -c /etc/overflowd/%i.yml$' "$D/root/lib/systemd/system/overflowd@.service" ||
	e2e_fail "overflowd@.service ExecStart: $(grep ExecStart "$D/root/lib/systemd/system/overflowd@.service")"
mkdir "$D/units"
sed "s|/usr/bin/overflowd|$D/root/usr/bin/overflowd|g" "$D/root/lib/systemd/system/overflowd@.service" \
	>"$D/units/overflowd@x.service"
sed "s|/usr/bin/overflowd|$D/root/usr/bin/overflowd|g" "$D/root/lib/systemd/system/overflowd-receive.service" \
	>"$D/units/overflowd-receive.service"
(cd "$D/units" && systemd-analyze verify --man=no ./overflowd@x.service ./overflowd-receive.service) \
	>"$D/verify" 2>&1 || e2e_fail "systemd-analyze verify: $(cat "$D/verify")"
"$D/root/usr/bin/overflowd" -c "$D/root/etc/overflowd/example.yml" --check >"$D/check" 2>&1 ||
	e2e_fail "example.yml --check: $(cat "$D/check")"
e2e_result
