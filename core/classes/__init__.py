"""Classes: a teacher's class on one link, its students and their tagged runs (store, rules, results)."""
