// Placeholder for a component with no sources yet.
