import torch
import numpy as np
from sklearn.metrics import accuracy_score, mean_squared_error, confusion_matrix, mean_absolute_error
y = torch.tensor([0, 1, 1, 0])
pred = torch.tensor([0, 1, 0, 0])
accuracy_score(y, pred)
confusion_matrix(y, pred)
mean_squared_error(torch.tensor([1.0, 2.0]), torch.tensor([1.5, 2.5]))
mean_absolute_error(torch.tensor([1.0, 2.0]), torch.tensor([1.5, 2.5], requires_grad=True))
logits = torch.randn(4, 3, requires_grad=True)
accuracy_score(y, logits.argmax(1))
from sklearn.model_selection import train_test_split
X = torch.arange(20.).reshape(10, 2)
Y = torch.arange(10)
Xtr, Xte, ytr, yte = train_test_split(X, Y, test_size=0.3, random_state=0)
print(type(Xtr), Xtr.shape, Xte, yte)
from sklearn.linear_model import LinearRegression
lr = LinearRegression().fit(X, Y)
print(lr.coef_, lr.predict(X[:2]))
lr.predict(torch.tensor([[1.0, 2.0]]))
from sklearn.linear_model import LogisticRegression
clf = LogisticRegression().fit(X.numpy(), (Y > 4).numpy())
clf.predict_proba(X[:1])
