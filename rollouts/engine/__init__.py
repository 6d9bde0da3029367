"""The rollout engine: what a rollout waits for (`lifecycle`), one step of it (`steps`), the
outbox of Upswift calls (`outbox`, `calls`, `prechecks`, `recovery`), read-backs and gates
(`progress`, `gates`, `sweeps`), cohorts as pure functions (`cohorts`), and the shared API
budget (`budget`). People's actions live in `rollouts.services`; both use this package."""
