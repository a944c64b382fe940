package emulator

import (
	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// Account is one emulated AWS account.
type Account struct {
	ID   string
	Name string
	// Roles that sts:AssumeRole may assume in this account (by role name);
	// empty means any.
	Roles []string
	// Denied regions answer AccessDeniedException (or AccessDenied) to
	// every call, as a region blocked by an SCP does.
	Denied map[string]bool
	// Disabled regions answer as an opt-in region that is not enabled.
	Disabled map[string]bool
	// OrgState is the account's state in the Organization; "" is ACTIVE.
	OrgState string

	regions map[string]*Region
}

// Region is the state of one account in one region. Each service keeps its
// own part; parts are created on first use.
type Region struct {
	Name        string
	AccountID   string
	SageMaker   *sageMakerState
	CloudWatch  *cloudWatchState
	SNS         *snsState
	AutoScaling *autoScalingState
}

// account returns the account with id, creating it. Caller holds s.mu.
func (s *Server) account(id string) *Account {
	if a, ok := s.accounts[id]; ok {
		return a
	}
	a := &Account{ID: id, Denied: map[string]bool{}, Disabled: map[string]bool{}, regions: map[string]*Region{}}
	s.accounts[id] = a
	s.order = append(s.order, id)
	return a
}

// region returns the account's state in region name, creating it.
func (a *Account) region(name string) *Region {
	if r, ok := a.regions[name]; ok {
		return r
	}
	r := &Region{
		Name:        name,
		AccountID:   a.ID,
		SageMaker:   newSageMakerState(),
		CloudWatch:  newCloudWatchState(),
		SNS:         newSNSState(),
		AutoScaling: newAutoScalingState(),
	}
	a.regions[name] = r
	return r
}

// accountForKey maps an access key id to its account; unknown keys belong
// to the first account (the default one unless a scenario says otherwise).
func (s *Server) accountForKey(key string) *Account {
	if id, ok := s.keys[key]; ok {
		return s.accounts[id]
	}
	return s.accounts[s.order[0]]
}

// checkRegionAccess answers for regions that an account may not use.
func (s *Server) checkRegionAccess(a *Account, region string, svc *service) error {
	if svc.global {
		return nil
	}
	if a.Disabled[region] {
		return &wire.Error{Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid.", Status: 400}
	}
	if a.Denied[region] {
		code := "AccessDeniedException"
		if svc.queryVersion != "" {
			code = "AccessDenied"
		}
		return &wire.Error{Code: code, Message: "User: arn:aws:sts::" + a.ID + ":assumed-role/sagesaver is not authorized to perform: " + svc.name + ":* in region " + region + " with an explicit deny in a service control policy", Status: 400}
	}
	return nil
}
