package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testkit"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// The checked copy is the floor under hoist's CPU figures: the least work
// any uploader does that checks what hoist checks, with no protocol, no
// commit and no state. A sender process reads the file in pieces of
// hoist's default chunk size, computes each piece's crc32c and the file's
// sha256, and writes them to a TCP connection; a receiver process reads
// each piece, checks its crc32c, feeds the sha256, writes the piece to a
// new file, and at the end compares the sha256, fsyncs once and closes the
// connection.
// Both are this test binary run again (benchHelperEnv), so each side's CPU
// is measured apart, as hoist's client and server are.

// benchHelperEnv names the environment variable that makes the test binary
// run as one side of the checked copy ("checked-send" or
// "checked-receive") instead of running tests.
const benchHelperEnv = "HOIST_BENCH_HELPER"

// benchUnmeasuredChunkSize is the chunk size hoist asks a server it has
// not measured for (client.unmeasuredChunkSize), as in every default run.
const benchUnmeasuredChunkSize = 256 << 10

// benchCheckedPiece is the checked copy's piece: hoist's chunk in a
// default run.
const benchCheckedPiece = benchUnmeasuredChunkSize

// benchRunHelper runs the helper named by benchHelperEnv, if any, and
// returns its exit code; ok is false when the process is not a helper.
func benchRunHelper() (code int, ok bool) {
	var err error
	switch mode := os.Getenv(benchHelperEnv); mode {
	case "":
		return 0, false
	case "checked-send":
		if len(os.Args) != 3 {
			err = errors.New("usage: checked-send ADDR FILE")
			break
		}
		err = benchCheckedSend(os.Args[1], os.Args[2])
	case "checked-receive":
		if len(os.Args) != 2 {
			err = errors.New("usage: checked-receive FILE")
			break
		}
		err = benchCheckedReceive(os.Args[1], os.Stdout)
	default:
		err = fmt.Errorf("%s=%q: unknown helper", benchHelperEnv, mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench helper:", err)
		return 1, true
	}
	return 0, true
}

// benchCheckedSend sends the file at path to addr: for each piece an 8-byte
// head (length, crc32c; big-endian) and the bytes, then a head of length 0
// and the file's sha256; it returns once the receiver closes the connection.
func benchCheckedSend(addr, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	sum := sha256.New()
	buf := make([]byte, benchCheckedPiece)
	var head [8]byte
	for {
		n, err := io.ReadFull(f, buf)
		if n > 0 {
			binary.BigEndian.PutUint32(head[0:4], uint32(n))
			binary.BigEndian.PutUint32(head[4:8], wire.CRC32C(buf[:n]))
			sum.Write(buf[:n])
			pieces := net.Buffers{head[:], buf[:n]}
			if _, err := pieces.WriteTo(conn); err != nil {
				return fmt.Errorf("send: %w", err)
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	clear(head[:])
	if _, err := conn.Write(append(head[:], sum.Sum(nil)...)); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	// The receiver closes its end once the file is durable.
	if _, err := io.Copy(io.Discard, conn); err != nil {
		return fmt.Errorf("waiting for the receiver: %w", err)
	}
	return nil
}

// benchCheckedReceive listens on loopback, prints "listening ADDR" to out,
// and receives one file into path (see benchCheckedSend).
func benchCheckedReceive(path string, out io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Fprintln(out, "listening", ln.Addr())
	return benchReceiveFile(ln, path, benchCheckedStore)
}

// benchCheckedStore reads pieces from r into f until the closing head, and
// checks every crc32c and the sha256.
func benchCheckedStore(r io.Reader, f *os.File) error {
	sum := sha256.New()
	buf := make([]byte, benchCheckedPiece)
	var head [8]byte
	var off int64
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return fmt.Errorf("reading a piece's head: %w", err)
		}
		n := binary.BigEndian.Uint32(head[0:4])
		if n == 0 {
			break
		}
		if n > benchCheckedPiece {
			return fmt.Errorf("piece of %d bytes, limit %d", n, benchCheckedPiece)
		}
		piece := buf[:n]
		if _, err := io.ReadFull(r, piece); err != nil {
			return fmt.Errorf("reading a piece: %w", err)
		}
		if got, want := wire.CRC32C(piece), binary.BigEndian.Uint32(head[4:8]); got != want {
			return fmt.Errorf("piece at %d: crc32c %08x, the head says %08x", off, got, want)
		}
		sum.Write(piece)
		if _, err := f.WriteAt(piece, off); err != nil {
			return err
		}
		off += int64(n)
	}
	want := make([]byte, sha256.Size)
	if _, err := io.ReadFull(r, want); err != nil {
		return fmt.Errorf("reading the sha256: %w", err)
	}
	if got := sum.Sum(nil); !bytes.Equal(got, want) {
		return fmt.Errorf("sha256 %x, the sender says %x", got, want)
	}
	return nil
}

// benchRunChecked is the checked copy of the big file, each side its own
// process, with the CPU of each.
func benchRunChecked(ctx context.Context, tb testing.TB, e *benchEnv, out string) (benchRun, error) {
	self, err := os.Executable()
	if err != nil {
		return benchRun{}, err
	}
	dst := filepath.Join(out, "big.bin")
	var stderr testkit.SyncBuffer
	recv := exec.CommandContext(ctx, self, dst)
	recv.Env = append(os.Environ(), benchHelperEnv+"=checked-receive")
	recv.Stderr = &stderr
	stdout, err := recv.StdoutPipe()
	if err != nil {
		return benchRun{}, err
	}
	if err := e.sides.onServer(recv.Start); err != nil {
		return benchRun{}, fmt.Errorf("starting the checked receiver: %w", err)
	}
	defer func() {
		_ = recv.Process.Kill()
		_ = recv.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		return benchRun{}, fmt.Errorf("checked receiver: no address (%q, %v)\n%s", line, err, stderr.String())
	}
	if err := e.warm(); err != nil {
		return benchRun{}, err
	}
	before, err := benchProcNow(recv.Process.Pid)
	if err != nil {
		return benchRun{}, err
	}
	send := exec.CommandContext(ctx, self, addr, e.big)
	send.Env = append(os.Environ(), benchHelperEnv+"=checked-send")
	start := time.Now()
	var msg []byte
	if err := e.sides.onClient(func() (err error) { msg, err = send.CombinedOutput(); return err }); err != nil {
		return benchRun{}, fmt.Errorf("checked sender: %w: %s\nreceiver: %s", err, msg, stderr.String())
	}
	elapsed := time.Since(start)
	if err := recv.Wait(); err != nil {
		return benchRun{}, fmt.Errorf("checked receiver: %w: %s", err, stderr.String())
	}
	run := benchRun{Bytes: e.cfg.Size, Files: 1, Elapsed: elapsed,
		Client: &benchProc{CPU: send.ProcessState.UserTime() + send.ProcessState.SystemTime()},
		Server: &benchProc{CPU: recv.ProcessState.UserTime() + recv.ProcessState.SystemTime() - before.CPU}}
	return run, benchSameFiles(e.big, dst)
}

// TestBenchCheckedStoreRefusesDamage: the checked copy's receiver must do
// the checks it stands for, or its CPU figure would be too low.
func TestBenchCheckedStoreRefusesDamage(t *testing.T) {
	piece := bytes.Repeat([]byte("hoist"), 1000)
	stream := func(crc uint32, sum []byte) io.Reader {
		var b bytes.Buffer
		head := make([]byte, 8)
		binary.BigEndian.PutUint32(head[0:4], uint32(len(piece)))
		binary.BigEndian.PutUint32(head[4:8], crc)
		b.Write(head)
		b.Write(piece)
		b.Write(make([]byte, 8))
		b.Write(sum)
		return &b
	}
	good := sha256.Sum256(piece)
	for _, c := range []struct {
		name string
		r    io.Reader
		want string
	}{
		{"intact", stream(wire.CRC32C(piece), good[:]), ""},
		{"bad crc32c", stream(wire.CRC32C(piece)+1, good[:]), "crc32c"},
		{"bad sha256", stream(wire.CRC32C(piece), make([]byte, sha256.Size)), "sha256"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "out"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			err = benchCheckedStore(c.r, f)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("intact stream refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want an error about %s", err, c.want)
			}
		})
	}
}
