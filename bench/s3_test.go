package bench

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/hoist-dev/hoist/transfer/store/pgmeta/pgtest"
	"github.com/hoist-dev/hoist/transfer/store/s3store"
	"github.com/hoist-dev/hoist/transfer/store/s3store/s3test"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// BenchmarkS3StoreVsMultipart sends one file through `hoist send` to a
// `hoist serve` with its bytes in versitygw (and metadata in PostgreSQL),
// then uploads the same file to the same versitygw as a plain
// aws-sdk-go-v2 multipart upload with the part size the server granted
// and the same concurrency (one part at a time: one upload is one
// connection, whose chunks the server stores in order), and prints the
// ratio of the two throughputs. The file is 1 GiB; HOIST_S3_BENCH_SIZE
// (bytes) changes it for a smoke run. One run: -benchtime 1x.
func BenchmarkS3StoreVsMultipart(b *testing.B) {
	size := int64(1 << 30)
	if v := os.Getenv("HOIST_S3_BENCH_SIZE"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			b.Fatalf("HOIST_S3_BENCH_SIZE: %v", err)
		}
		size = n
	}
	c := startS3Cluster(b)
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{1}).Read(data)
	path := filepath.Join(b.TempDir(), "bench.bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		start := time.Now()
		hoist.Run(b, "send", "--server", c.url, "--token-file", c.token, path)
		hoistTime := time.Since(start)

		start = time.Now()
		plainMultipart(b, c, "plain/bench.bin", data, s3store.MinPartSize, 1)
		plainTime := time.Since(start)

		mb := float64(size) / 1e6
		hoistRate, plainRate := mb/hoistTime.Seconds(), mb/plainTime.Seconds()
		b.ReportMetric(hoistRate, "hoist-MB/s")
		b.ReportMetric(plainRate, "multipart-MB/s")
		b.ReportMetric(hoistRate/plainRate, "ratio")
		fmt.Fprintf(os.Stderr, "S3 backend: hoist %.1f MB/s, plain multipart %.1f MB/s, ratio %.2f (%d MB, part size %d, one part at a time)\n",
			hoistRate, plainRate, hoistRate/plainRate, size/1e6, s3store.MinPartSize)
	}
}

// s3Cluster is one `hoist serve` with its bytes in versitygw and its
// metadata in PostgreSQL.
type s3Cluster struct {
	gw     *s3test.Server
	bucket string
	url    string // the server's
	token  string // a token file
}

// startS3Cluster starts PostgreSQL, versitygw and the server.
func startS3Cluster(tb testing.TB) *s3Cluster {
	tb.Helper()
	ci := os.Getenv("CI") == "true"
	pg := pgtest.Start(tb, ci)
	gw := s3test.Start(tb, ci)
	gw.SetCredentials(tb)
	c := &s3Cluster{gw: gw, bucket: gw.NewBucket(tb)}
	root := tb.TempDir()
	srv := hoist.StartServer(tb, root, "--store", "s3://"+c.bucket+"/hoist", "--s3-endpoint", gw.Endpoint, "--s3-path-style",
		"--meta", pg.NewDatabase(tb))
	c.url = srv.URL
	c.token = filepath.Join(tb.TempDir(), "token")
	if err := os.WriteFile(c.token, []byte(hoist.MintToken(tb, root, "bench")), 0o600); err != nil {
		tb.Fatal(err)
	}
	return c
}

// plainMultipart uploads data to key as one multipart upload with parts
// of partSize, workers parts at a time, each with its CRC32C, as the S3
// backend does.
func plainMultipart(tb testing.TB, c *s3Cluster, key string, data []byte, partSize, workers int) {
	tb.Helper()
	ctx := tb.Context()
	client := c.gw.Client()
	created, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(c.bucket), Key: aws.String(key), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c,
	})
	if err != nil {
		tb.Fatal(err)
	}
	n := (len(data) + partSize - 1) / partSize
	parts := make([]types.CompletedPart, n)
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range workers {
		wg.Go(func() {
			for i := range next {
				chunk := data[i*partSize : min((i+1)*partSize, len(data))]
				sum := crc32cBase64(chunk)
				out, err := client.UploadPart(ctx, &s3.UploadPartInput{
					Bucket: aws.String(c.bucket), Key: aws.String(key), UploadId: created.UploadId,
					PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(chunk), ContentLength: aws.Int64(int64(len(chunk))),
					ChecksumCRC32C: aws.String(sum),
				})
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					parts[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32C: aws.String(sum)}
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		tb.Fatal(firstErr)
	}
	_, err = client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(c.bucket), Key: aws.String(key), UploadId: created.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// crc32cBase64 is data's CRC32C as S3 wants it.
func crc32cBase64(data []byte) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, wire.CRC32C(data)))
}
