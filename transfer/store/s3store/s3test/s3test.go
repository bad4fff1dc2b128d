// Package s3test runs a throwaway S3 server for tests: versitygw with its
// posix backend on a temporary directory and a free port of 127.0.0.1,
// stopped and removed when the test ends. versitygw is not a dependency of
// hoist: it is built by .ci/run (go install
// github.com/versity/versitygw/cmd/versitygw@v1.8.0) and found in PATH.
//
// versitygw's posix backend does not fsync, so these tests show behaviour,
// not durability against power loss.
package s3test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Server is a running versitygw.
type Server struct {
	// Endpoint is its URL; AccessKey and SecretKey its only credentials.
	Endpoint  string
	AccessKey string
	SecretKey string
	// Dir is the posix backend's root: one directory per bucket.
	Dir string
}

// Start runs versitygw until t ends. Without it in PATH it skips t, or
// fails it when required (in CI).
func Start(t testing.TB, required bool) *Server {
	t.Helper()
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		msg := "versitygw is not in PATH; build it with `GOBIN=$(go env GOPATH)/bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0` to run this test"
		if required {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := &Server{Endpoint: "http://" + addr, AccessKey: "hoisttestaccess", SecretKey: "hoisttestsecret0123456789", Dir: root}
	logf, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--access", srv.AccessKey, "--secret", srv.SecretKey, "--port", addr, "posix", root)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting versitygw: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		logf.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("versitygw exited: %v\n%s", err, log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("versitygw did not listen on %s within 30s\n%s", addr, log)
		}
	}
	return srv
}

// Client returns an S3 client for the server.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint:               aws.String(s.Endpoint),
		Region:                     "us-east-1",
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// NewBucket creates an empty bucket and returns its name.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := strings.ToLower(fmt.Sprintf("b%d-%d", os.Getpid(), time.Now().UnixNano()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("creating bucket %s: %v", name, err)
	}
	return name
}

// SetCredentials points the AWS SDK's default chain at the server's
// credentials for the rest of t (t must not be parallel).
func (s *Server) SetCredentials(t testing.TB) {
	t.Setenv("AWS_ACCESS_KEY_ID", s.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s.SecretKey)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
}
