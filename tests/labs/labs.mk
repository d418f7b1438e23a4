# tests/labs: the labs' solution and handout trees (DESIGN.md §8, labs/README.md).
TEST_SUITES += tests/labs/labs.sh
