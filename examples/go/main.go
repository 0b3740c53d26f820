// flexnet-client (Go): runs a task on every device of flexnetd's inventory
// with streamed results, then a config change with a backup, reads the
// newest backup of one device in chunks and diffs it against the one
// before.
//
//	FLEXNET_ADDR=127.0.0.1:50051 FLEXNET_PASSWORD_ENV=FN_PASS ./flexnet-client
//
// FLEXNET_PASSWORD_ENV names an environment variable of the *server*
// holding the devices' password (credentials go by reference, never on
// the wire). Built offline against Debian's Go packages: see build.sh.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"

	pb "flexnet/v1"
)

// The config line the second task applies (and the diff must show).
var ntpLine = env("FLEXNET_CONFIG_LINE", "ntp server 192.0.2.1")

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "flexnet-client: "+format+"\n", a...)
	os.Exit(1)
}

func spec(name string, steps ...*pb.Step) *pb.TaskSpec {
	return &pb.TaskSpec{
		Name:  name,
		Steps: steps,
		Credentials: &pb.Credentials{
			Username:          env("FLEXNET_USER", "admin"),
			PasswordEnv:       env("FLEXNET_PASSWORD_ENV", "FN_PASS"),
			EnablePasswordEnv: os.Getenv("FLEXNET_ENABLE_ENV"),
		},
	}
}

// runTask streams a task's events, printing each result as it arrives.
func runTask(c pb.FlexnetClient, s *pb.TaskSpec) (*pb.Summary, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	stream, err := c.RunTask(ctx, s)
	if err != nil {
		die("RunTask: %v", err)
	}
	results := 0
	var summary *pb.Summary
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			die("RunTask stream: %v", err)
		}
		switch e := ev.Event.(type) {
		case *pb.TaskEvent_Result:
			results++
			fmt.Printf("result %s %q exit=%d\n", e.Result.Host,
				e.Result.Command, e.Result.ExitCode)
		case *pb.TaskEvent_Summary:
			summary = e.Summary
		}
	}
	if summary == nil {
		die("task %s: no summary", s.Name)
	}
	fmt.Printf("task %s: %s, %d devices, %d ok, %d results streamed\n",
		s.Name, summary.Status, summary.Devices, summary.Ok, results)
	return summary, results
}

func main() {
	addr := env("FLEXNET_ADDR", "127.0.0.1:50051")
	conn, err := grpc.Dial(addr, grpc.WithInsecure(), grpc.WithBlock(),
		grpc.WithTimeout(10*time.Second))
	if err != nil {
		die("dial %s: %v", addr, err)
	}
	defer conn.Close()
	c := pb.NewFlexnetClient(conn)

	s1, n := runTask(c, spec("go-show",
		&pb.Step{Kind: pb.StepKind_STEP_KIND_COMMANDS,
			Commands: []string{"show version"}},
		&pb.Step{Kind: pb.StepKind_STEP_KIND_BACKUP, Comment: "before"}))
	s2, _ := runTask(c, spec("go-change",
		&pb.Step{Kind: pb.StepKind_STEP_KIND_CONFIG,
			Commands: []string{ntpLine}},
		&pb.Step{Kind: pb.StepKind_STEP_KIND_BACKUP, Comment: "after"}))
	if s1.Ok != s1.Devices || s2.Ok != s2.Devices || n == 0 {
		die("not every device succeeded")
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bl, err := c.ListBackups(ctx, &pb.ListBackupsRequest{PageSize: 1})
	if err != nil || len(bl.Backups) == 0 {
		die("ListBackups: %v", err)
	}
	b := bl.Backups[0]
	chunks, err := c.GetBackup(ctx, &pb.GetBackupRequest{Id: b.Id,
		ChunkSize: 4096})
	if err != nil {
		die("GetBackup: %v", err)
	}
	var text []byte
	for {
		ch, err := chunks.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			die("GetBackup stream: %v", err)
		}
		text = append(text, ch.Data...)
	}
	sum := sha256.Sum256(text)
	if uint64(len(text)) != b.Size || hex.EncodeToString(sum[:]) != b.Sha256 {
		die("backup %s: %d bytes, sha256 mismatch", b.Id, len(text))
	}
	d, err := c.DiffBackups(ctx, &pb.DiffBackupsRequest{IdA: b.Id})
	if err != nil {
		die("DiffBackups: %v", err)
	}
	fmt.Print(d.Diff)
	if !strings.Contains(d.Diff, "+"+ntpLine) {
		die("the diff lacks +%s", ntpLine)
	}
	fmt.Printf("ok: %d devices, %d results streamed, backup %s of %s "+
		"(%d bytes) diffed\n", s1.Devices, n, b.Id, b.Host, len(text))
}
