"""Use cases: the decisions as pure functions, and the functions that apply them (views, CLI, hooks call these)."""
