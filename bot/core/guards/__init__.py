"""What is let in, and by whom: roles and what they may do, signed links, keys derived from the
school's secret, rate limits, chat tokens, typed form input and email addresses checked one way."""
