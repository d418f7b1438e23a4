# tests/labs: the labs' solution and handout trees (docs/ARCHITECTURE.md §10, labs/README.md).
TEST_SUITES += tests/labs/labs.sh
