"""AI-tutor transcript analysis around the pure core (`smartpractice.core.transcripts`):
similarity backends (local MiniLM embeddings, lexical, LLM), the tutoring-data reader and
the ``evaluate-transcripts`` evaluation."""
