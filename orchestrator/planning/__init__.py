"""Pure helpers of the planner: which resources a step reads and changes."""
