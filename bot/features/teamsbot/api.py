"""The Teams bot room's public face: what another room's chat (Google Chat) shares with it —
a person's open asks, recording a press of a card's button, the reminder route's steps."""

from bot.features.teamsbot.cards import ACK_VERB as ACK_VERB
from bot.features.teamsbot.cards import AUP_VERB as AUP_VERB
from bot.features.teamsbot.cards import KINDS as KINDS
from bot.features.teamsbot.cards import NeedItem as NeedItem
from bot.features.teamsbot.cards import due_line as due_line
from bot.features.teamsbot.cards import hello_line as hello_line
from bot.features.teamsbot.cards import needs_title as needs_title
from bot.features.teamsbot.conversation import stranger_line as stranger_line
from bot.features.teamsbot.deliver import BotDigests as BotDigests
from bot.features.teamsbot.service import open_needs as open_needs
from bot.features.teamsbot.service import record_press as record_press
