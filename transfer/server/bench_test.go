package server_test

import (
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// BenchmarkUpload sends one file of 256 MiB over loopback with 4 MiB
// chunks, pipelined (32 in flight), as TRANSFER-RAW and as TRANSFER, and
// reports MB/s with durable acknowledgements next to a raw TCP copy of the
// same bytes into a file (no fsync) measured in the same run.
//
//	go test -run '^$' -bench Upload -benchtime 1x ./transfer/server/
func BenchmarkUpload(b *testing.B) {
	const size, cs, window = 256 << 20, 4 << 20, 32
	data := make([]byte, size)
	rand.Read(data)
	b.Run("raw-tcp-copy", func(b *testing.B) {
		for range b.N {
			b.SetBytes(size)
			rawCopy(b, data)
		}
	})
	for _, raw := range []bool{true, false} {
		name := "transfer-raw"
		if !raw {
			name = "transfer-json"
		}
		b.Run(name, func(b *testing.B) {
			srv := servertest.Start(b)
			for range b.N {
				b.SetBytes(size)
				c := dial(b, srv)
				c.mustAuth(authMsg(srv.Token("bench"), uuid.New(), []file{{name: "big", data: data}}, nil, cs))
				n := wire.ChunkCount(size, cs)
				sent, got := uint64(0), uint64(0)
				var sum string
				buf := make([]byte, 0, cs*2)
				start := time.Now()
				for got < n {
					for sent < n && sent-got < window {
						t := c.chunk(0, sent, data)
						if raw {
							buf = wire.AppendRawTransfer(buf[:0], t)
							c.w.WriteFrame(wire.TypeTransferRaw, buf)
						} else {
							buf = wire.AppendTransfer(buf[:0], t)
							c.w.WriteFrame(wire.TypeTransfer, buf)
						}
						sent++
					}
					c.flush()
					r := c.recv()
					if !r.OK() {
						b.Fatal(r.Err())
					}
					if r.File != nil {
						sum = r.SHA256
					}
					got++
				}
				b.ReportMetric(float64(size)/1e6/time.Since(start).Seconds(), "MB/s")
				if sum != sha(data) {
					b.Fatal("sha256 mismatch")
				}
				c.conn.Close()
			}
		})
	}
}

func rawCopy(b *testing.B, data []byte) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	f, err := os.Create(filepath.Join(b.TempDir(), "copy"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_, err = io.Copy(f, c)
		done <- err
	}()
	start := time.Now()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	c.Write(data)
	c.Close()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(data))/1e6/time.Since(start).Seconds(), "MB/s")
}

// BenchmarkManySmallFiles uploads 1,000 files of 4 KiB in one upload,
// every chunk in flight, and reports files per second (durable).
func BenchmarkManySmallFiles(b *testing.B) {
	srv := servertest.Start(b)
	files := make([]file, 1000)
	for i := range files {
		files[i] = randomFile(b, "f"+strconv.Itoa(i), 4096)
	}
	for range b.N {
		c := dial(b, srv)
		start := time.Now()
		c.mustAuth(authMsg(srv.Token("bench"), uuid.New(), files, nil, 4096))
		for i, f := range files {
			c.sendTransfer(c.chunk(i, 0, f.data), true)
		}
		c.flush()
		for range files {
			if r := c.recv(); !r.OK() || r.File == nil {
				b.Fatalf("%+v", r)
			}
		}
		b.ReportMetric(float64(len(files))/time.Since(start).Seconds(), "files/s")
		c.conn.Close()
	}
}
