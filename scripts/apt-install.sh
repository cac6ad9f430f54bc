# Sourced (not run) by the scripts that install Debian packages as root:
# tests/sshd/setup.sh, scripts/test.sh, scripts/install-plugin-tools.sh.
#
# apt_install PACKAGE...: install without recommended extras and without
# questions; when that fails (a fresh machine's package lists are empty or
# out of date), refresh the lists once and try again. POSIX sh.
apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" </dev/null ||
        {
            DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" </dev/null
        }
}
