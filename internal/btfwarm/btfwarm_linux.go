package btfwarm

import (
	"os"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/inspect/bpfowner"
)

func init() {
	if os.Getenv(inspect.OwnersEnv) != "proc" {
		bpfowner.Warm()
	}
}
