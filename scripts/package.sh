#!/usr/bin/env bash
# Builds the four installable packages into artifacts/packages/ (or $OUTPOST_ARTIFACTS/packages/):
#   outpost_<v>_amd64.deb, outpost-probe_<v>_amd64.deb, outpost-<v>.x86_64.rpm, outpost-probe-<v>.x86_64.rpm
# Like every release step, it runs the whole test suite first (scripts/test.sh) and builds nothing if a test fails.
#
# Usage: scripts/package.sh [--skip-tests] [--fast] [--no-publish] [--version V] [--revision N] [--out DIR]
#   --skip-tests   do not run the test suite first. Only for the packaging tests (tests/Packaging.Tests), which run
#                  inside that suite and would otherwise start it again from within itself.
#   --fast         compress the payloads with gzip -1 instead of xz -6 (same files, faster build, bigger packages);
#                  the packaging tests use it to stay within their time budget
#   --no-publish   reuse the previous self-contained publish (artifacts/package-publish) instead of rebuilding it
#   --version V    package version (default: <Version> in Directory.Build.props)
#   --revision N   package revision: Debian "-N", RPM Release (default 1); the upgrade test builds a higher one
#   --out DIR      where the packages go (default artifacts/packages)
#
# The layout the packages install (docs/README.md; packaging/README.md explains each choice):
#   /usr/lib/outpost/appliance/   the outpost daemon, self-contained .NET (no runtime needed), its web UI and the
#                                 shipped defaults (appsettings.json); /usr/bin/outpost links to it
#   /usr/lib/outpost/probe/       outpost-probe, self-contained; /usr/bin/outpost-probe links to it
#   /etc/outpost/outpost.json, /etc/outpost/probe.json   the admin's overrides (stubs; never changed by upgrades)
#   /var/lib/outpost              state, created by tmpfiles.d for the system user from sysusers.d
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

run_tests=yes
publish=yes
fast=no
version=
revision=1
artifacts=${OUTPOST_ARTIFACTS:-$repo/artifacts}
out=
while (($#)); do
  case $1 in
    --skip-tests) run_tests=no ;;
    --fast) fast=yes ;;
    --no-publish) publish=no ;;
    --version) version=$2; shift ;;
    --revision) revision=$2; shift ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ -n $version ]] || version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -n1)
[[ $version =~ ^[0-9][0-9A-Za-z.~+]*$ ]] || { echo "package: bad version '$version'" >&2; exit 2; }
[[ $revision =~ ^[0-9]+$ ]] || { echo "package: bad revision '$revision'" >&2; exit 2; }
out=${out:-$artifacts/packages}
if [[ $fast == yes ]]; then
  deb_compression=(-Zgzip -z1) rpm_payload=w1.gzdio
else
  deb_compression=(-Zxz -z6) rpm_payload=w6T0.xzdio
fi
publish_dir=$artifacts/package-publish
stage=$artifacts/package-stage

for tool in dotnet dpkg-deb rpmbuild; do
  command -v "$tool" >/dev/null || { echo "package: $tool is missing; run scripts/deps.sh" >&2; exit 1; }
done

if [[ $run_tests == yes ]]; then
  echo "package: running the test suite first (scripts/test.sh); --skip-tests skips it"
  scripts/test.sh
fi

started=$SECONDS
if [[ $publish == yes || ! -x $publish_dir/outpost/outpost || ! -x $publish_dir/outpost-probe/outpost-probe ]]; then
  rm -rf "$publish_dir"
  for project in src/Appliance/Appliance.csproj src/Probe/Probe.csproj; do
    name=$(sed -n 's:.*<AssemblyName>\(.*\)</AssemblyName>.*:\1:p' "$project")
    echo "package: publishing $name (self-contained, ReadyToRun)"
    dotnet publish "$project" -c Release -r linux-x64 --self-contained -p:PublishReadyToRun=true \
      -p:Version="$version" -p:DebugType=none -p:SatelliteResourceLanguages=en -nologo -v q -o "$publish_dir/$name"
  done
  echo "package: published in $((SECONDS - started)) s"
fi

# pkg sub bin config other description summary
packages=(
  "outpost|appliance|outpost|outpost.json|outpost-probe|Network-scanning appliance: probe engine, job store, web UI"
  "outpost-probe|probe|outpost-probe|probe.json|outpost|SYN probe and remote scanner node for the Outpost appliance"
)
long_description() {
  case $1 in
    outpost) cat <<'EOF'
Outpost runs a native SYN probe engine on libpcap, an embedded job store
that never loses or double-hands work, and one HTTPS server that speaks the
scanner job protocol to remote scanner nodes and serves the admin web UI.
The .NET runtime is bundled; the service runs as the outpost user with only
CAP_NET_RAW and CAP_NET_BIND_SERVICE.
EOF
    ;;
    outpost-probe) cat <<'EOF'
outpost-probe runs one-off SYN scans from the command line and, as the
outpost-probe service, a remote scanner node that pulls work from an Outpost
appliance. The .NET runtime is bundled; the service runs as the outpost user
with only CAP_NET_RAW and CAP_NET_BIND_SERVICE.
EOF
    ;;
  esac
}

# The maintainer script with the shared setup functions pasted in.
render_script() { # template pkg other
  local setup
  setup=$(cat packaging/common/setup.sh)
  awk -v setup="$setup" -v pkg="$2" -v other="$3" '
    { gsub(/@PKG@/, pkg); gsub(/@OTHER@/, other) }
    /^@SETUP@$/ { print setup; next }
    { print }' "$1"
}

# One file tree per package, shared by the .deb and the .rpm.
stage_package() { # pkg sub bin config
  local pkg=$1 sub=$2 bin=$3 config=$4 root=$stage/$1/root
  rm -rf "$stage/$pkg"
  install -d "$root/usr/lib/outpost/$sub" "$root/usr/bin" "$root/usr/lib/systemd/system" "$root/usr/lib/sysusers.d" \
    "$root/usr/lib/tmpfiles.d" "$root/etc/outpost" "$root/usr/share/doc/$pkg"
  cp -a "$publish_dir/$bin/." "$root/usr/lib/outpost/$sub/"
  # The assemblies' XML docs are for IDEs, not for the box; the LTTng trace provider is optional and would need
  # liblttng-ust, which the packages do not pull in.
  find "$root/usr/lib/outpost/$sub" -maxdepth 1 \( -name '*.pdb' -o -name '*.xml' -o -name libcoreclrtraceptprovider.so \) -delete
  if [[ -f packaging/$pkg/appsettings.json ]]; then
    install -m 0644 "packaging/$pkg/appsettings.json" "$root/usr/lib/outpost/$sub/appsettings.json"
  fi
  find "$root/usr/lib/outpost/$sub" -type d -exec chmod 0755 {} +
  find "$root/usr/lib/outpost/$sub" -type f -exec chmod 0644 {} +
  chmod 0755 "$root/usr/lib/outpost/$sub/$bin"
  # Playwright's driver (the screenshot capability drives Debian's chromium through it): its installers for other
  # browsers and systems are not shipped; its scripts and its node keep their execute bits; binaries are stripped.
  local driver=$root/usr/lib/outpost/$sub/.playwright
  if [[ -d $driver ]]; then
    rm -f "$driver"/package/bin/reinstall_* "$root/usr/lib/outpost/$sub/playwright.ps1"
    # The driver runs its JavaScript with the node it bundles ("node cli.js"), never through a "#!/usr/bin/env node"
    # line, which would name an interpreter the package does not depend on: those lines go; shell scripts stay runnable.
    find "$driver" -type f -name '*.js' -exec sed -i '1{/^#!.*node/d}' {} +
    find "$driver" -type f -exec sh -c 'for f; do [ "$(head -c2 "$f")" = "#!" ] && chmod 0755 "$f"; done; true' _ {} +
    chmod 0755 "$driver/node/linux-x64/node"
    strip --strip-unneeded "$driver/node/linux-x64/node"
  fi
  [[ -f $root/usr/lib/outpost/$sub/libe_sqlite3.so ]] && strip --strip-unneeded "$root/usr/lib/outpost/$sub/libe_sqlite3.so"
  [[ -f $root/usr/lib/outpost/$sub/createdump ]] && chmod 0755 "$root/usr/lib/outpost/$sub/createdump"
  ln -s "../lib/outpost/$sub/$bin" "$root/usr/bin/$bin"
  install -m 0644 "packaging/$pkg/$pkg.service" "$root/usr/lib/systemd/system/$pkg.service"
  install -m 0644 packaging/common/sysusers.conf "$root/usr/lib/sysusers.d/$pkg.conf"
  install -m 0644 packaging/common/tmpfiles.conf "$root/usr/lib/tmpfiles.d/$pkg.conf"
  # 0640: the postinst gives it to group outpost (which does not exist at build time).
  install -m 0640 "packaging/$pkg/$config" "$root/etc/outpost/$config"
  install -m 0644 packaging/README.md "$root/usr/share/doc/$pkg/README"
}

# Directory sign-in (LDAP, docs/users-and-audit.md) binds OpenLDAP's libldap at run time: only the appliance signs
# users in. .NET loads libldap.so.2 (OpenLDAP 2.6), libldap-2.5.so.0 or libldap-2.4.so.2, whichever is there.
directory_deps() { # deb|rpm pkg
  [[ $2 == outpost ]] || return 0
  case $1 in
    deb) echo ", libldap-2.5-0 | libldap2 | libldap-2.4-2" ;;
    rpm) echo "Requires:       (libldap.so.2()(64bit) or libldap-2.5.so.0()(64bit) or libldap-2.4.so.2()(64bit))" ;;
  esac
}

build_deb() { # pkg sub bin config other summary
  local pkg=$1 other=$5 summary=$6 dir=$stage/$1/deb
  local debversion=$version-$revision
  rm -rf "$dir"
  cp -al "$stage/$pkg/root" "$dir"
  install -d "$dir/DEBIAN"
  install -m 0644 packaging/common/copyright "$dir/usr/share/doc/$pkg/copyright"
  printf '%s (%s) stable; urgency=medium\n\n  * Outpost %s, packaged by scripts/package.sh.\n\n -- Outpost team <packaging@outpost.example.com>  %s\n' \
    "$pkg" "$debversion" "$version" "$(LC_ALL=C date -u -R -d "@$build_epoch")" \
    | gzip -9n >"$dir/usr/share/doc/$pkg/changelog.Debian.gz"
  chmod 0644 "$dir/usr/share/doc/$pkg/changelog.Debian.gz"
  for script in postinst prerm postrm; do
    render_script "packaging/common/$script" "$pkg" "$other" >"$dir/DEBIAN/$script"
    chmod 0755 "$dir/DEBIAN/$script"
  done
  echo /etc/outpost/"$4" >"$dir/DEBIAN/conffiles"
  {
    echo "Package: $pkg"
    echo "Version: $debversion"
    echo "Architecture: amd64"
    echo "Maintainer: Outpost team <packaging@outpost.example.com>"
    echo "Installed-Size: $(du -sk --exclude=DEBIAN "$dir" | cut -f1)"
    # The bundled .NET runtime needs libc, libgcc, libstdc++ and OpenSSL (TLS); the probe engine needs libpcap;
    # the maintainer scripts need useradd (passwd).
    echo "Depends: libc6 (>= 2.27), libgcc-s1, libstdc++6, libssl3 | libssl1.1, libpcap0.8 (>= 1.9), passwd$(directory_deps deb "$pkg")"
    # Screenshots need Debian's chromium (docs/capabilities.md); without it the scanner does not advertise them.
    echo "Suggests: chromium"
    echo "Section: net"
    echo "Priority: optional"
    echo "Homepage: https://outpost.example.com/"
    echo "Description: $summary"
    long_description "$pkg" | sed 's/^/ /'
  } >"$dir/DEBIAN/control"
  install -d "$dir/usr/share/lintian/overrides"
  install -m 0644 "packaging/$pkg/lintian-overrides" "$dir/usr/share/lintian/overrides/$pkg"
  dpkg-deb --root-owner-group "${deb_compression[@]}" --build "$dir" "$out/${pkg}_${debversion}_amd64.deb" >/dev/null
}

build_rpm() { # pkg sub bin config other summary
  local pkg=$1 sub=$2 bin=$3 config=$4 summary=$6 top=$stage/$1/rpm
  rm -rf "$top"
  install -d "$top/SPECS" "$top/BUILD" "$top/RPMS"
  render_script packaging/common/setup.sh "$pkg" "$5" >"$top/setup.sh"
  {
    sed -e "s/@PKG@/$pkg/g; s/@VERSION@/$version/g; s/@RELEASE@/$revision/g; s/@SUB@/$sub/g; s/@BIN@/$bin/g" \
      -e "s/@CHANGELOG_DATE@/$(LC_ALL=C date -u -d "@$build_epoch" '+%a %b %d %Y')/g" \
      -e "s/@CONFIG@/$config/g; s/@SUMMARY@/$summary/g" packaging/rpm.spec.in \
      | awk -v setup="$top/setup.sh" '/^@SETUP@$/ { while ((getline line < setup) > 0) print line; next } { print }' \
      | awk -v desc="$(long_description "$pkg")" '/^@DESCRIPTION@$/ { print desc; next } { print }' \
      | awk -v ldap="$(directory_deps rpm "$pkg")" '/^@DIRECTORY_REQUIRES@$/ { if (ldap != "") print ldap; next } { print }'
  } >"$top/SPECS/$pkg.spec"
  rpmbuild -bb --quiet \
    --define "_topdir $top" \
    --define "_stage $stage/$pkg/root" \
    --define "_rpmdir $top/RPMS" \
    --define "_build_id_links none" \
    --define "debug_package %{nil}" \
    --define "__os_install_post %{nil}" \
    --define "_binary_payload $rpm_payload" \
    --define "_buildhost outpost-build" \
    --target x86_64-linux \
    "$top/SPECS/$pkg.spec" >/dev/null
  cp "$top/RPMS/x86_64/$pkg-$version-$revision.x86_64.rpm" "$out/"
}

# Dates in changelogs come from the last commit, so a rebuild of one commit gives the same metadata.
build_epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
mkdir -p "$out"
for spec in "${packages[@]}"; do
  IFS='|' read -r pkg sub bin config other summary <<<"$spec"
  rm -f "$out/${pkg}_"*.deb "$out/$pkg-"[0-9]*.rpm
  stage_package "$pkg" "$sub" "$bin" "$config"
  build_deb "$pkg" "$sub" "$bin" "$config" "$other" "$summary" &
  build_rpm "$pkg" "$sub" "$bin" "$config" "$other" "$summary" &
  wait -n && wait -n || { wait; echo "package: building $pkg failed" >&2; exit 1; }
done
rm -rf "$stage"
echo "package: built in $((SECONDS - started)) s:"
ls -l "$out"
