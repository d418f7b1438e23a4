# tests/style: the tree explains itself (docs/ARCHITECTURE.md §8) — paths named
# in the documentation exist and nothing points outside the repository
# (docs.sh), the include rule between layers holds (layers.sh), and the C
# sources are formatted by .clang-format (format.sh; scripts/format.sh fixes),
# and commit messages follow the project's form (commits.sh).
TEST_SUITES += tests/style/docs.sh tests/style/layers.sh tests/style/format.sh tests/style/commits.sh
