"""The ticket author's app: loads .env, then calls the API with the official SDK."""
from dotenv import load_dotenv
import anthropic

load_dotenv()  # does not override an ANTHROPIC_API_KEY that the shell already exported
client = anthropic.Anthropic()
print(client.messages.create(model="claude-3-haiku-20240307", max_tokens=5,
                             messages=[{"role": "user", "content": "Hi"}]))
