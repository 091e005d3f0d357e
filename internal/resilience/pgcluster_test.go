package resilience

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"threshold/internal/testenv"
)

// pgCluster is a PostgreSQL server of the test's own: a cluster made by
// initdb in a temporary directory, on a free port on loopback, with trust
// authentication, run as the postgres OS user (PostgreSQL refuses to run
// as root). It is never the shared server: a test may stop it at will.
type pgCluster struct {
	t    *testing.T
	bin  string // PostgreSQL's bin directory
	dir  string // owned by postgres: data/, the socket, the log
	port int
}

// newPGCluster makes and starts a private cluster, stopped and removed
// when the test ends. It needs root (to run commands as postgres) and
// PostgreSQL's server binaries in /usr/lib/postgresql/*/bin.
func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "a private PostgreSQL cluster needs root (to run initdb and pg_ctl as the postgres user)")
		return nil
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		testenv.Unavailable(t, "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (apt-get install postgresql)")
		return nil
	}
	sort.Strings(bins)
	pg, err := user.Lookup("postgres")
	if err != nil {
		testenv.Unavailable(t, "no postgres OS user to run a private PostgreSQL cluster as: "+err.Error())
		return nil
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)

	// Not t.TempDir: its parent is private to root, and postgres must
	// reach the data directory.
	dir, err := os.MkdirTemp("", "threshold-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	c := &pgCluster{t: t, bin: filepath.Dir(bins[len(bins)-1]), dir: dir, port: freePort(t)}
	t.Cleanup(func() {
		c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	})
	if out, err := c.run("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.start()
	ctx := context.Background()
	admin, err := sql.Open("pgx", c.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE threshold`); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return c
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

// url returns the URL of database name in the cluster.
func (c *pgCluster) url(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, name)
}

// run runs one of PostgreSQL's programs as the postgres user.
func (c *pgCluster) run(prog string, args ...string) ([]byte, error) {
	cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(c.bin, prog)}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// start starts the server and waits until it accepts connections. fsync
// is off: the tests stop the server, never the machine, so the operating
// system keeps every write the server made.
func (c *pgCluster) start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", c.port, c.dir)
	if out, err := c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		c.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// crash stops the server at once, as a crash would: "pg_ctl stop -m
// immediate" ends every backend without a checkpoint; the next start
// recovers from the write-ahead log.
func (c *pgCluster) crash() {
	c.t.Helper()
	if out, err := c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop"); err != nil {
		c.t.Fatalf("pg_ctl stop -m immediate: %v\n%s", err, out)
	}
}

// freePort returns a TCP port on loopback that nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond every 50 ms until it is true or wait has passed, and
// reports whether it became true.
func waitFor(wait time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(wait)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
