package bench

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/creack/pty"
)

// benchPTY runs a program on a pseudo-terminal and counts every byte it writes
// to the terminal. It answers the queries terminal libraries send at start-up
// (background colour, then cursor position as a fence) as a terminal would,
// in the order asked, so that the program does not wait for them to time out.
type benchPTY struct {
	master  *os.File
	cmd     *exec.Cmd
	written atomic.Int64
	done    chan struct{} // closed when the program's output has ended

	mu    sync.Mutex
	plain bytes.Buffer // the last text written, escape sequences removed
	esc   benchEscState
}

// benchEscState tracks an escape sequence that may continue in the next read.
type benchEscState int

const (
	benchEscNone      benchEscState = iota
	benchEscStart                   // after ESC
	benchEscCSI                     // in ESC [ ... final byte
	benchEscString                  // in ESC ] ... BEL or ESC \ (and other string sequences)
	benchEscStringEnd               // after ESC inside a string sequence
)

// strip appends the printable text of b to p.plain, dropping escape
// sequences and control characters.
func (p *benchPTY) strip(b []byte) {
	for _, c := range b {
		switch p.esc {
		case benchEscNone:
			switch {
			case c == 0x1b:
				p.esc = benchEscStart
			case c >= 0x20 || c == '\n':
				p.plain.WriteByte(c)
			}
		case benchEscStart:
			switch c {
			case '[':
				p.esc = benchEscCSI
			case ']', 'P', '_', '^':
				p.esc = benchEscString
			default:
				p.esc = benchEscNone
			}
		case benchEscCSI:
			if c >= 0x40 && c <= 0x7e {
				p.esc = benchEscNone
			}
		case benchEscString:
			switch c {
			case 0x07:
				p.esc = benchEscNone
			case 0x1b:
				p.esc = benchEscStringEnd
			}
		case benchEscStringEnd:
			p.esc = benchEscNone
		}
	}
	if p.plain.Len() > 64<<10 {
		p.plain.Next(p.plain.Len() - 32<<10)
	}
}

// seen returns the last text the program wrote, without escape sequences.
func (p *benchPTY) seen() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.plain.String()
}

// benchStartPTY starts cmd on a new rows x cols pseudo-terminal, as the
// leader of a new session with the terminal as its controlling one.
func benchStartPTY(cmd *exec.Cmd, rows, cols uint16) (*benchPTY, error) {
	master, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: cols})
	if err != nil {
		return nil, fmt.Errorf("start %s on a pty: %w", cmd.Path, err)
	}
	p := &benchPTY{master: master, cmd: cmd, done: make(chan struct{})}
	go p.read()
	return p, nil
}

// benchTermReplies are a dark terminal's answers to start-up queries.
var benchTermReplies = []struct{ query, reply string }{
	{"\x1b]11;?", "\x1b]11;rgb:0000/0000/0000\x1b\\"}, // background colour
	{"\x1b[6n", "\x1b[1;1R"},                          // cursor position
}

// answer writes the replies to the queries in out, in the order asked: a
// reply out of order would be left over and read as keys.
func (p *benchPTY) answer(out []byte) {
	type asked struct {
		at    int
		reply string
	}
	var queries []asked
	for _, q := range benchTermReplies {
		if i := bytes.Index(out, []byte(q.query)); i >= 0 {
			queries = append(queries, asked{i, q.reply})
		}
	}
	slices.SortFunc(queries, func(a, b asked) int { return a.at - b.at })
	for _, q := range queries {
		_, _ = io.WriteString(p.master, q.reply)
	}
}

func (p *benchPTY) read() {
	defer close(p.done)
	buf := make([]byte, 64<<10)
	for {
		n, err := p.master.Read(buf)
		if n > 0 {
			p.written.Add(int64(n))
			out := buf[:n]
			p.answer(out)
			p.mu.Lock()
			p.strip(out)
			p.mu.Unlock()
		}
		if err != nil {
			// EIO once the program has exited and the slave is closed.
			return
		}
	}
}

// send types keys into the terminal.
func (p *benchPTY) send(keys string) error {
	_, err := io.WriteString(p.master, keys)
	return err
}

// tail returns the last text the program wrote, for error messages.
func (p *benchPTY) tail() string {
	s := p.seen()
	return s[max(0, len(s)-4096):]
}

// wait waits for the program to exit and its output to drain, then closes
// the terminal.
func (p *benchPTY) wait() error {
	err := p.cmd.Wait()
	<-p.done
	p.master.Close()
	return err
}
