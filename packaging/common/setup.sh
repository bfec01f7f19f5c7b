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
# /var/lib/outpost belongs to the service account, which may have planted links there: root must not follow them.
# The temporary file is created by one redirect under noclobber (O_EXCL: an existing file or link makes it fail rather
# than be followed) and written through that one descriptor; chown -h and mv act on names, never on a link's target.
# Returns 0 when it wrote one.
outpost_ensure_admin_token() {
	token_file=/var/lib/outpost/admin-token
	if [ -s "$token_file" ] && [ ! -L "$token_file" ]; then
		return 1
	fi
	rm -f "$token_file.tmp"
	(
		umask 077
		set -C
		{
			head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
			echo
		} >"$token_file.tmp"
	)
	chown -h outpost:outpost "$token_file.tmp"
	mv -f "$token_file.tmp" "$token_file"
	return 0
}

# The settings files may hold an API key or a database password: readable by the service's group, not by everyone.
outpost_protect_settings() {
	for settings in /etc/outpost/*.json; do
		if [ -f "$settings" ] && [ ! -L "$settings" ]; then
			chown root:outpost "$settings"
			chmod 0640 "$settings"
		fi
	done
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
