package message

import "testing"

// FuzzCompile feeds arbitrary templates to Compile and Render: neither may
// panic, whatever a user types.
func FuzzCompile(f *testing.F) {
	m, _ := shopModel(f)
	for _, s := range []string{"Hi {{ profile.first_name }}", "{% for p in profile.purchases %}{{ p.product.name }}{% endfor %}", "{% assign x = profile.purchases | first %}{{ x.amount | money }}", "{{", "{% raw %}", "{{ profile.created_at | date: '%-", "{{ profile.purchases[1].amount | number: 2 }}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := Compile(m, "customers", ChannelSMS, SMS{Text: src}, Env{})
		if err != nil {
			return
		}
		_, _ = tpl.RenderSMS(sampleCustomer())
	})
}
