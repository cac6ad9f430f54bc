//! Integration tests: the built `netrun` binary against simulated devices
//! (`netrun lab`), OpenSSH's sshd, and the first-party plugin components;
//! hostile plugins against the sandbox; plugin authoring in three languages.

mod authoring;
mod cluster;
mod config;
mod contract;
mod dropbear;
mod faults;
mod foreign;
mod http;
mod openssh;
mod operator;
mod parsers;
mod platforms;
mod replay;
mod sandbox;
mod scale;
mod sweep;
mod telemetry;
mod textfsm;
