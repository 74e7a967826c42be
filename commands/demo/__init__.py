"""The demo: a seeded city of departments, licences and uses, written as signed commands."""
