// Package resilience holds Threshold's fault tests, and nothing else: it
// has no code of its own outside its _test.go files. Each test does
// something an operator fears to a real process or a real database and
// then checks that no data was lost, none was stored twice, and the
// service came back by itself:
//
//   - a "threshold ingest" process killed with SIGKILL mid-file, on
//     PostgreSQL (internal/cli covers SQLite), and a delivering process
//     killed mid-webhook on a private PostgreSQL server;
//   - a private PostgreSQL cluster (initdb in a temporary directory, its
//     own port, never the shared server) stopped with "pg_ctl stop -m
//     immediate" under a running server, an ingest and deliveries, then
//     started again: readiness returns, a re-run ingest completes exactly
//     and every delivery arrives once;
//   - a SQLite database on a tmpfs of 8 MiB filled by an ingest: the error
//     says the disk is full and names the file, the database passes
//     PRAGMA integrity_check, and after a remount with more room the
//     re-run completes exactly;
//   - truncated and corrupted input (gzip cut mid-stream, a zip entry with
//     a bad CRC, CSV cut mid-row, bytes flipped): errors name the file and
//     line, only whole batches are stored, and a re-run with the good
//     file gives exact counts;
//   - backups: "threshold backup" of SQLite while a writer is active, and
//     pg_dump/pg_restore of PostgreSQL, restored and checked.
//
// After every fault the same checks run (consistent in check_test.go):
// the event count equals the file's rows, no (source, source_id) appears
// twice, the audit log's hash chain verifies, the fund's balances equal
// the sums of its postings, which sum to zero per currency, and on SQLite
// the file passes PRAGMA integrity_check.
//
// The tests run in "go test ./..." within about a minute each. What they
// need (root for mount and runuser, PostgreSQL's binaries, the shared
// data) is checked through internal/testenv: missing, a test skips with
// a message, or fails under THRESHOLD_TEST_REQUIRE_ALL=1.
package resilience
