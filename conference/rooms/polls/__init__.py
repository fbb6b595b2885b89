"""Real-time polls in live rooms: single/multiple choice, rating, word cloud and open text."""
