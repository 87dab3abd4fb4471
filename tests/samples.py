"""Named sample turns shared by the tests (written by the project)."""

from __future__ import annotations

OPEN = "How did you first notice the double charge?"
YES_NO = "Can you see the second charge?"
ONE_FACT = "What's your postcode?"
EMPATHY = "Oh no, that sounds really stressful with two kids in tow."
POLITE = "Thank you for your patience, sorry for the wait."
REFUSAL = "I understand, but I can't refund that."
GREETING = "Good morning, you're speaking with Sam at Fjordline, how can I help?"
CHECK = "Does that work for you?"
ANYTHING_ELSE = "Is there anything else I can help with?"
INFORMATION = "The refund takes three to five working days to reach your card."
GUIDANCE = "First I'll check the booking, then we'll look at the refund."
UPSET = "This is the third time I've called and I'm really fed up."
CONFUSED = "Sorry, what do you mean by pro rata?"
NEED = "I need to change my flight to Friday."
