package smtp

import (
	"crypto"
	"fmt"

	"github.com/emersion/go-msgauth/dkim"
)

// signedHeaders are the fields the signature covers. Fields a message
// lacks are signed as absent, so nobody can add them on the way.
var signedHeaders = []string{
	"From", "To", "Subject", "Date", "Message-ID", "Reply-To",
	"List-Unsubscribe", "List-Unsubscribe-Post", "MIME-Version", "Content-Type",
}

// dkimSigner signs messages for one domain and selector.
type dkimSigner struct {
	domain, selector string
	key              crypto.Signer
}

func newDKIMSigner(c *DKIMConfig) (*dkimSigner, error) {
	key, err := c.signer()
	if err != nil {
		return nil, err
	}
	return &dkimSigner{domain: c.Domain, selector: c.Selector, key: key}, nil
}

// sign appends msg to dst, preceded by its DKIM-Signature field
// (relaxed/relaxed).
func (d *dkimSigner) sign(dst, msg []byte) ([]byte, error) {
	s, err := dkim.NewSigner(&dkim.SignOptions{
		Domain:                 d.domain,
		Selector:               d.selector,
		Signer:                 d.key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             signedHeaders,
	})
	if err != nil {
		return nil, fmt.Errorf("dkim: %w", err)
	}
	if _, err := s.Write(msg); err != nil {
		s.Close()
		return nil, fmt.Errorf("dkim: %w", err)
	}
	if err := s.Close(); err != nil {
		return nil, fmt.Errorf("dkim: %w", err)
	}
	dst = append(dst, s.Signature()...)
	return append(dst, msg...), nil
}
