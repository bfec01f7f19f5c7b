# Shared by the .deb postinst and the .rpm %post (scripts/package.sh pastes it in): the service user, the state
# directory, and for the appliance the admin secret. POSIX sh; every step is idempotent, so upgrades rerun it.
# Expects PKG (outpost or outpost-probe).

outpost_ensure_user() {
	# sysusers.d and tmpfiles.d when systemd is there; plain useradd and install otherwise (chroots, containers).
	if command -v systemd-sysusers >/dev/null 2>&1; then
		systemd-sysusers "$PKG.conf" || true
	fi
	if ! getent group outpost >/dev/null; then
		groupadd --system outpost
	fi
	if ! getent passwd outpost >/dev/null; then
		useradd --system --gid outpost --home-dir /var/lib/outpost --no-create-home \
			--shell /usr/sbin/nologin --comment "Outpost appliance" outpost
	fi
	if command -v systemd-tmpfiles >/dev/null 2>&1; then
		systemd-tmpfiles --create "$PKG.conf" || true
	fi
	if [ ! -d /var/lib/outpost ]; then
		mkdir -p /var/lib/outpost
		chown outpost:outpost /var/lib/outpost
		chmod 0750 /var/lib/outpost
	fi
}

# Writes a new admin secret when there is none (the daemon would generate one on its first start; doing it here lets
# the installer say where it is). Same format as the daemon's: 256 random bits, URL-safe base64, mode 0600.
# Returns 0 when it wrote one.
outpost_ensure_admin_token() {
	token_file=/var/lib/outpost/admin-token
	if [ -s "$token_file" ]; then
		return 1
	fi
	(
		umask 077
		head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$token_file.tmp"
		echo >>"$token_file.tmp"
	)
	chown outpost:outpost "$token_file.tmp"
	mv -f "$token_file.tmp" "$token_file"
	return 0
}

outpost_first_install_message() {
	host=$(hostname -f 2>/dev/null || hostname 2>/dev/null || echo localhost)
	if [ "$PKG" = outpost ]; then
		cat <<MESSAGE
Outpost is installed.
  Open the web UI:   https://$host/  (the port and certificate are set in /etc/outpost/outpost.json;
                     until then the daemon serves a self-signed certificate it creates on first start)
  Admin secret:      /var/lib/outpost/admin-token  (read it with: sudo cat /var/lib/outpost/admin-token)
  Check the install: sudo outpost selftest
MESSAGE
	else
		cat <<MESSAGE
outpost-probe is installed. To run this box as a remote scanner node, set the appliance URL and this node's
API key in /etc/outpost/probe.json, then: sudo systemctl enable --now outpost-probe.service
MESSAGE
	fi
}
