"""Reports for caregivers, one module per format."""
