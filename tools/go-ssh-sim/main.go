// A Cisco-IOS-like device CLI on Go's SSH server (golang.org/x/crypto/ssh)
// and line editor (golang.org/x/term), for measuring clients against an SSH
// stack that is neither netrun's (russh) nor the Python tools' (paramiko,
// asyncssh, Twisted Conch). One process serves DEVICES devices on
// consecutive ports from BASE.
//
//	go-ssh-sim -base-port 7000 -devices 100 -outputs DIR [-user admin -password admin]
//	           [-secret S] [-host-key ed25519|rsa] [-known-hosts FILE] [-cr-only]
//
// DIR holds the saved outputs the CLI answers with, one file a command,
// its words joined by `_` (`show_version.txt`, `show_running-config.txt`),
// as scrapli-replay keeps them. Besides those the CLI knows `enable`
// (asking `Password:` when -secret is given), `disable`, `terminal length`,
// `terminal width`, `configure terminal` and its sub-modes (`interface X`,
// `exit`, `end`, any other line taken), and `exit`/`logout`/`quit`; any
// other line gets IOS's `% Invalid input detected at '^' marker.`.
//
// Enter is `\r`, `\n` or `\r\n`, as on IOS; with -cr-only only `\r` is, as
// in x/term before it learned `\n` (Debian 12 packages such a version):
// a client that ends lines with a bare `\n` gets no answer.
//
// Build it outside modules, against Debian's packaged sources:
// apt-get install golang-go golang-golang-x-crypto-dev golang-golang-x-term-dev
// GO111MODULE=off GOPATH=/usr/share/gocode go build -o go-ssh-sim .
package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/term"
)

type device struct {
	hostname string
	outputs  map[string]string
	secret   string
	crOnly   bool
}

// lfEnter reads a session's input with a bare `\n` turned into `\r` and the
// `\n` of `\r\n` dropped, so the line editor sees one Enter for each.
type lfEnter struct {
	ssh.Channel
	lastCR bool
}

func (l *lfEnter) Read(p []byte) (int, error) {
	for {
		n, err := l.Channel.Read(p)
		out := 0
		for _, b := range p[:n] {
			switch {
			case b == '\n' && l.lastCR:
				l.lastCR = false
				continue
			case b == '\n':
				b = '\r'
				l.lastCR = false
			default:
				l.lastCR = b == '\r'
			}
			p[out] = b
			out++
		}
		if out > 0 || err != nil {
			return out, err
		}
	}
}

func main() {
	base := flag.Int("base-port", 7000, "first port")
	devices := flag.Int("devices", 1, "number of devices (ports BASE, BASE+1, ...)")
	dir := flag.String("outputs", "", "folder of saved outputs (show_version.txt, ...)")
	user := flag.String("user", "admin", "login user")
	password := flag.String("password", "admin", "login password")
	secret := flag.String("secret", "", "enable secret (empty: enable asks nothing)")
	hostKey := flag.String("host-key", "ed25519", "host key type: ed25519 or rsa (2,048 bits)")
	knownHosts := flag.String("known-hosts", "", "write the devices' known_hosts lines here")
	crOnly := flag.Bool("cr-only", false, "only a carriage return is Enter (a bare line feed is ignored)")
	flag.Parse()

	outputs, err := loadOutputs(*dir)
	if err != nil {
		log.Fatalf("-outputs %q: %v", *dir, err)
	}
	signer, err := newSigner(*hostKey)
	if err != nil {
		log.Fatalf("-host-key %q: %v", *hostKey, err)
	}
	config := &ssh.ServerConfig{
		PasswordCallback: func(c ssh.ConnMetadata, pass []byte) (*ssh.Permissions, error) {
			if c.User() == *user && string(pass) == *password {
				return nil, nil
			}
			return nil, fmt.Errorf("password rejected for %q", c.User())
		},
		ServerVersion: "SSH-2.0-Cisco-1.25",
	}
	config.AddHostKey(signer)

	var known strings.Builder
	for i := 0; i < *devices; i++ {
		port := *base + i
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			log.Fatalf("listen on 127.0.0.1:%d: %v", port, err)
		}
		fmt.Fprintf(&known, "[127.0.0.1]:%d %s", port, ssh.MarshalAuthorizedKey(signer.PublicKey()))
		d := &device{hostname: fmt.Sprintf("sw%04d", i), outputs: outputs, secret: *secret, crOnly: *crOnly}
		go serve(ln, config, d)
	}
	if *knownHosts != "" {
		if err := os.WriteFile(*knownHosts, []byte(known.String()), 0o644); err != nil {
			log.Fatalf("-known-hosts %q: %v", *knownHosts, err)
		}
	}
	fmt.Printf("%d devices ready on 127.0.0.1:%d-%d\n", *devices, *base, *base+*devices-1)
	select {}
}

func newSigner(kind string) (ssh.Signer, error) {
	switch kind {
	case "ed25519":
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return ssh.NewSignerFromKey(key)
	case "rsa":
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		return ssh.NewSignerFromKey(key)
	}
	return nil, fmt.Errorf("unknown key type: use ed25519 or rsa")
}

func loadOutputs(dir string) (map[string]string, error) {
	outputs := map[string]string{}
	if dir == "" {
		return outputs, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.txt outputs in it")
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		command := strings.ReplaceAll(strings.TrimSuffix(filepath.Base(f), ".txt"), "_", " ")
		outputs[command] = strings.TrimRight(string(text), "\r\n")
	}
	return outputs, nil
}

func serve(ln net.Listener, config *ssh.ServerConfig, d *device) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			log.Printf("accept: %v", err)
			continue
		}
		go func() {
			defer conn.Close()
			sconn, chans, reqs, err := ssh.NewServerConn(conn, config)
			if err != nil {
				return
			}
			defer sconn.Close()
			go ssh.DiscardRequests(reqs)
			for nc := range chans {
				if nc.ChannelType() != "session" {
					nc.Reject(ssh.UnknownChannelType, "only sessions")
					continue
				}
				ch, requests, err := nc.Accept()
				if err != nil {
					return
				}
				go session(ch, requests, d)
			}
		}()
	}
}

func session(ch ssh.Channel, requests <-chan *ssh.Request, d *device) {
	started := false
	for req := range requests {
		switch req.Type {
		case "pty-req", "env", "window-change":
			req.Reply(true, nil)
		case "shell":
			req.Reply(!started, nil)
			if !started {
				started = true
				go func() {
					status := cli(ch, d)
					ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
					ch.Close()
				}()
			}
		default:
			req.Reply(false, nil)
		}
	}
}

// cli runs the device's command line until the user leaves or the
// connection ends.
func cli(ch ssh.Channel, d *device) uint32 {
	var rw io.ReadWriter = &lfEnter{Channel: ch}
	if d.crOnly {
		rw = ch
	}
	t := term.NewTerminal(rw, "")
	mode := "exec"
	prompt := func() string {
		switch mode {
		case "exec":
			return d.hostname + ">"
		case "privileged":
			return d.hostname + "#"
		default:
			return d.hostname + "(" + mode + ")#"
		}
	}
	fmt.Fprint(t, "\n")
	for {
		t.SetPrompt(prompt())
		line, err := t.ReadLine()
		if err != nil {
			return 0
		}
		words := strings.Fields(line)
		if len(words) == 0 {
			continue
		}
		command := strings.Join(words, " ")
		switch {
		case mode != "exec" && mode != "privileged":
			switch {
			case command == "end":
				mode = "privileged"
			case command == "exit":
				if mode == "config" {
					mode = "privileged"
				} else {
					mode = "config"
				}
			case words[0] == "interface" && len(words) > 1:
				mode = "config-if"
			}
		case command == "exit" || command == "logout" || command == "quit":
			return 0
		case command == "enable":
			if mode == "exec" && d.secret != "" {
				pass, err := t.ReadPassword("Password: ")
				if err != nil {
					return 0
				}
				if pass != d.secret {
					fmt.Fprint(t, "% Bad secrets\n\n")
					continue
				}
			}
			mode = "privileged"
		case command == "disable":
			mode = "exec"
		case words[0] == "terminal" && len(words) == 3 && (words[1] == "length" || words[1] == "width"):
		case mode == "privileged" && (command == "configure terminal" || command == "conf t"):
			fmt.Fprint(t, "Enter configuration commands, one per line.  End with CNTL/Z.\n")
			mode = "config"
		default:
			if out, ok := d.outputs[command]; ok && (mode == "privileged" || !strings.HasPrefix(command, "show run")) {
				fmt.Fprint(t, out+"\n")
			} else {
				fmt.Fprintf(t, "%*s^\n%% Invalid input detected at '^' marker.\n\n", len(prompt())+len(line)-len(strings.TrimLeft(line, " ")), "")
			}
		}
	}
}
