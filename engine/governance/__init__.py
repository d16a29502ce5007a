"""Normal-time governance: street tasks with points, the community's people, grids, buildings and
households, and the checks on vulnerable households that an incident starts."""
