package store

import "github.com/redis/go-redis/v9"

// ClientOf returns s's client, for the store's own tests to look at what
// it wrote; outside the store no client is handed out.
func ClientOf(s *Store) redis.UniversalClient { return s.rdb }
