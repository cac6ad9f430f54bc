#!/bin/sh
# Prepare this machine for the OpenSSH and Dropbear integration tests
# (tests/integration/openssh.rs, dropbear.rs): OpenSSH's sshd and Dropbear's
# binaries and the login user `netrun-ios` whose session the tests' servers
# hand to tests/sshd/ios-shell.py.
#
# Idempotent and non-interactive; run as root (CI does, before the tests).
# It does not start the system's sshd: each test starts its own on a free
# port of 127.0.0.1.
set -eu

USER_NAME=netrun-ios
USER_HOME=/home/netrun-ios
USER_PASSWORD=netrun-ios-pw

if [ "$(id -u)" != 0 ]; then
    echo "setup.sh: must run as root (it installs openssh-server and adds user $USER_NAME)" >&2
    exit 1
fi

# apt_install PACKAGE... (non-interactive: it sets DEBIAN_FRONTEND itself)
. "$(dirname "$0")/../../scripts/apt-install.sh"

if [ -x /usr/sbin/sshd ]; then
    echo "setup.sh: /usr/sbin/sshd present ($(/usr/sbin/sshd -V 2>&1 | head -n 1 || true))"
else
    # Keep the package's maintainer scripts from starting the system sshd on
    # port 22: invoke-rc.d consults policy-rc.d, and 101 means "not allowed".
    policy=/usr/sbin/policy-rc.d
    own_policy=no
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        own_policy=yes
    fi
    status=0
    apt_install openssh-server || status=$?
    if [ "$own_policy" = yes ]; then
        rm -f "$policy"
    fi
    if [ "$status" != 0 ] || [ ! -x /usr/sbin/sshd ]; then
        echo "setup.sh: could not install openssh-server" >&2
        exit 1
    fi
    echo "setup.sh: installed openssh-server ($(/usr/sbin/sshd -V 2>&1 | head -n 1 || true))"
fi

# sshd refuses to start without its privilege-separation directory.
if [ ! -d /run/sshd ]; then
    mkdir -p /run/sshd
    chmod 755 /run/sshd
    echo "setup.sh: created /run/sshd"
fi

if id "$USER_NAME" >/dev/null 2>&1; then
    echo "setup.sh: user $USER_NAME exists"
else
    useradd --system --create-home --home-dir "$USER_HOME" --shell /bin/sh "$USER_NAME"
    echo "setup.sh: created system user $USER_NAME (home $USER_HOME, shell /bin/sh)"
fi
echo "$USER_NAME:$USER_PASSWORD" | chpasswd
echo "setup.sh: set the password of $USER_NAME"

if [ ! -x /usr/bin/python3 ]; then
    echo "setup.sh: warning: /usr/bin/python3 is missing; the scripted IOS shell needs it" >&2
fi
if ! command -v sshpass >/dev/null 2>&1; then
    # The accept-new test checks the recorded known_hosts line with OpenSSH ssh.
    apt_install sshpass
fi
echo "setup.sh: sshpass $(command -v sshpass)"
if [ ! -x /usr/sbin/dropbear ]; then
    # Dropbear, embedded Linux's SSH server (tests/integration/dropbear.rs):
    # dropbear-bin is the binaries alone, no service started.
    apt_install dropbear-bin
fi
echo "setup.sh: dropbear $(/usr/sbin/dropbear -V 2>&1 | head -n 1)"
echo "setup.sh: ready"
