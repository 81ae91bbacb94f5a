"""Official accounts and their holders' social media AUP signatures."""
