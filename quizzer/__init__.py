"""quizzer: flashcards and quizzes for code cheat sheets, with answers judged by running them."""

__version__ = "0.1.0"
