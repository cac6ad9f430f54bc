//! Integration tests: the built `netrun` binary against simulated devices
//! (`netrun lab`), OpenSSH's sshd, and the first-party plugin components.

mod faults;
mod openssh;
mod parsers;
mod sweep;
