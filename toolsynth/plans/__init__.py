"""sample-plans: walks over the tool graph, ToolFlow dialog plans and MAGNET function-signature paths."""
