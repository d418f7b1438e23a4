# tests/slides: the lecture decks (`make slides`, slides/README.md) built,
# checked as files, then rendered in Debian's headless chromium with one
# screenshot per deck under build/slides/shots/.
TEST_SUITES += tests/slides/slides.sh
