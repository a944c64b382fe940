package lifecycle

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
)

// Auto-stop kinds that Audit recognizes in an on-start script.
const (
	AutoStopNone      = "none"
	AutoStopSagesaver = "sagesaver"
	// AutoStopSample is AWS's sample autostop.py run from cron (the recipe
	// sagesaver replaces).
	AutoStopSample = "autostop.py"
)

// Finding is one notebook instance and its auto-stop; its JSON form is
// a row of `lifecycle audit -o json` (docs/lifecycle-audit.schema.json).
type Finding struct {
	Notebook        string `json:"notebook"`
	Status          string `json:"status"`
	InstanceType    string `json:"instance_type"`
	LifecycleConfig string `json:"lifecycle_config,omitempty"`
	AutoStop        string `json:"auto_stop"`
	// IdleTime is the configured idle time, when the script says.
	IdleTime string `json:"idle_time,omitempty"`
}

var (
	sagesaverIdle = regexp.MustCompile(`(?m)^idleTime: *(\S+)`)
	sampleIdle    = regexp.MustCompile(`IDLE_TIME=(\d+)`)
)

// Classify tells which auto-stop an on-start script sets up, and its idle
// time when it can tell.
func Classify(script string) (kind, idle string) {
	switch {
	case strings.Contains(script, marker):
		if m := sagesaverIdle.FindStringSubmatch(script); m != nil {
			idle = m[1]
		}
		return AutoStopSagesaver, idle
	case strings.Contains(script, "autostop.py"):
		if m := sampleIdle.FindStringSubmatch(script); m != nil {
			var s int
			fmt.Sscan(m[1], &s)
			idle = (time.Duration(s) * time.Second).String()
		}
		return AutoStopSample, idle
	}
	return AutoStopNone, ""
}

// Audit lists the region's notebook instances with the auto-stop each one
// runs. Deleted and deleting instances are left out.
func Audit(ctx context.Context, c SageMaker) ([]Finding, error) {
	var out []Finding
	scripts := map[string]string{}
	p := sagemaker.NewListNotebookInstancesPaginator(c, &sagemaker.ListNotebookInstancesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list notebooks: %w", err)
		}
		for _, nb := range page.NotebookInstances {
			if s := string(nb.NotebookInstanceStatus); s == "Deleting" || s == "Deleted" {
				continue
			}
			f := Finding{
				Notebook:        aws.ToString(nb.NotebookInstanceName),
				Status:          string(nb.NotebookInstanceStatus),
				InstanceType:    string(nb.InstanceType),
				LifecycleConfig: aws.ToString(nb.NotebookInstanceLifecycleConfigName),
				AutoStop:        AutoStopNone,
			}
			if f.LifecycleConfig != "" {
				script, ok := scripts[f.LifecycleConfig]
				if !ok {
					lc, err := c.DescribeNotebookInstanceLifecycleConfig(ctx, &sagemaker.DescribeNotebookInstanceLifecycleConfigInput{
						NotebookInstanceLifecycleConfigName: aws.String(f.LifecycleConfig),
					})
					if err != nil {
						return nil, fmt.Errorf("describe lifecycle config %s: %w", f.LifecycleConfig, err)
					}
					script = onStart(lc.OnStart)
					scripts[f.LifecycleConfig] = script
				}
				f.AutoStop, f.IdleTime = Classify(script)
			}
			out = append(out, f)
		}
	}
	return out, nil
}
