package rules

import (
	"context"

	"threshold/internal/alert"
)

func (e *evaluator) coupRule(ctx context.Context, r *Rule, countries []string) ([]alert.Firing, error) {
	return nil, nil
}
func (e *evaluator) firstFatalRule(ctx context.Context, r *Rule, countries []string) ([]alert.Firing, error) {
	return nil, nil
}
func (e *evaluator) electionRule(ctx context.Context, r *Rule, countries []string) ([]alert.Firing, error) {
	return nil, nil
}
func (e *evaluator) spreadAdmin1Rule(ctx context.Context, r *Rule, countries []string) ([]alert.Firing, error) {
	return nil, nil
}
func (e *evaluator) spreadBorderRule(ctx context.Context, r *Rule, countries []string) ([]alert.Firing, error) {
	return nil, nil
}
