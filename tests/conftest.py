"""pytest settings for testmend's own tests."""

# tests/data holds test suites that testmend audits in the tests (the report's
# fixture suite): bad test code on purpose, never collected as tests.
collect_ignore = ["data"]
