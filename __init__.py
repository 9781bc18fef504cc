from . import models
from . import utils
from . import controllers
