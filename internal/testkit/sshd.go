package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sshdPath is where Debian's openssh-server installs sshd.
const sshdPath = "/usr/sbin/sshd"

// SSHD is a private sshd on a loopback port that lets the current user in
// with a key generated for it, and nothing else. It stops when the test
// ends.
type SSHD struct {
	// Port is the loopback port it listens on; User the user it admits and
	// Key the path of that user's private key.
	Port int
	User string
	Key  string
	// Pid is the listening sshd's process id (its sessions are its
	// children), for benchmarks that measure its CPU.
	Pid int
	log *SyncBuffer
}

// SSHAvailable reports why no sshd can run here, or "" when sshd,
// ssh-keygen, ssh and scp are all installed.
func SSHAvailable() string {
	if _, err := os.Stat(sshdPath); err != nil {
		return "no " + sshdPath + " (apt-get install openssh-server; .ci/run does)"
	}
	for _, tool := range []string{"ssh-keygen", "ssh", "scp"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "no " + tool + " (apt-get install openssh-client)"
		}
	}
	return ""
}

// StartSSHD starts sshd on a free loopback port, with fresh host and client
// keys, and waits until it accepts connections. The test fails if sshd is
// not installed.
func StartSSHD(t testing.TB) *SSHD {
	t.Helper()
	if why := SSHAvailable(); why != "" {
		t.Fatalf("this test needs a real sshd: %s", why)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	hostKey, clientKey := filepath.Join(dir, "host_key"), filepath.Join(dir, "user_key")
	for _, k := range []string{hostKey, clientKey} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(clientKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	// sshd refuses to start without its privilege separation directory.
	if os.Geteuid() == 0 {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := &SSHD{User: u.Username, Key: clientKey, log: &SyncBuffer{}}
	// The free port may be taken before sshd binds it: try a few.
	for attempt := 1; ; attempt++ {
		s.Port = FreePort(t)
		config := strings.Join([]string{
			fmt.Sprintf("Port %d", s.Port),
			"ListenAddress 127.0.0.1",
			"HostKey " + hostKey,
			"AuthorizedKeysFile " + authorized,
			"PidFile none",
			"StrictModes no",
			"UsePAM no",
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
			"PermitRootLogin prohibit-password",
			"Subsystem sftp internal-sftp", // scp speaks sftp
			"LogLevel VERBOSE",             // logs "Accepted publickey for USER"
			"",
		}, "\n")
		cfgPath := filepath.Join(dir, "sshd_config")
		if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(sshdPath, "-D", "-e", "-f", cfgPath)
		cmd.Stderr = s.log
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting sshd: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			cmd.Process.Kill()
			<-exited
		})
		if waitListening(s.Port, exited, 30*time.Second) {
			s.Pid = cmd.Process.Pid
			return s
		}
		if attempt == 3 {
			t.Fatalf("sshd did not start:\n%s", s.log.String())
		}
	}
}

// ClientArgs are the ssh client options for this sshd: its key, no host
// key checks, no user configuration. scp takes them too.
func (s *SSHD) ClientArgs() []string {
	return []string{"-F", "/dev/null", "-i", s.Key,
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"}
}

// ClientCommand is the ssh command line for this sshd, for --ssh-command
// and shells.
func (s *SSHD) ClientCommand() string {
	return "ssh " + strings.Join(s.ClientArgs(), " ")
}

// Log is what sshd logged so far.
func (s *SSHD) Log() string { return s.log.String() }
