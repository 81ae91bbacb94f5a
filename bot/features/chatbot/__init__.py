"""Inside Google Chat: the school's Chat app shows each person what the school needs from them
as a card in their direct message with it, records an acknowledgement from the card's button
(the same service as Teams and the web pages), and tells a stranger one plain line."""
