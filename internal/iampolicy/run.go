package iampolicy

import (
	"fmt"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/runconfig"
)

// ForRun is the act flavour of run file r: read-only plus exactly the
// writes its policies' actions and its schedules' targets make
// (awsapi.RunUses), whatever its mode says (the role is deployed before
// the file is switched to enforce).
func ForRun(r *runconfig.Run) (awsapi.Flavour, error) {
	var ops []string
	use := func(by, action, kind string) error {
		o, ok := awsapi.UsedOps(by, action, kind)
		if !ok {
			return fmt.Errorf("%s: no permissions declared for %s %s on %s (awsapi.RunUses)", r.Path, by, action, kind)
		}
		ops = append(ops, o...)
		return nil
	}
	for _, p := range r.Policies {
		for _, rule := range p.Rules {
			for _, a := range rule.Actions {
				if err := use(awsapi.UseByPolicy, string(a.Type), string(rule.Resource)); err != nil {
					return awsapi.Flavour{}, err
				}
				if a.Type == policy.MarkAction && a.Then != "" {
					if err := use(awsapi.UseByPolicy, string(a.Then), string(rule.Resource)); err != nil {
						return awsapi.Flavour{}, err
					}
				}
			}
		}
	}
	for _, s := range r.Schedules {
		for _, t := range s.Targets {
			if err := use(awsapi.UseBySchedule, "", string(t.Kind)); err != nil {
				return awsapi.Flavour{}, err
			}
		}
	}
	return awsapi.ActFor(ops), nil
}
