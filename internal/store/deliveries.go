package store

// enqueueDeliveries creates the webhook delivery jobs for the events of a transaction, in that
// transaction. TODO(#11): webhooks; until then there is nothing to deliver.
func (s *Store) enqueueDeliveries(t *tx) error { return nil }
